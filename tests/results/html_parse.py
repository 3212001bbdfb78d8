"""Read a print-ready HTML form back into the same shape as ``docx_structure``: headings and table cells."""
from __future__ import annotations

from html.parser import HTMLParser

ASCII_SPACE = " \t\r\n"


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []  # h1 and p outside tables, in order
        self.tables: list[list[list[str]]] = []
        self.classes: list[str] = []
        self._cell: dict | None = None
        self._para: list[str] | None = None
        self._heading: list[str] | None = None
        self.lang: str | None = None
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.classes.extend((a.get("class") or "").split())
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = {"paras": [], "loose": []}
        elif tag == "p" and self._cell is not None:
            self._para = []
        elif tag in ("h1", "p"):
            self._heading = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            cell = self._cell
            text = "\n".join("".join(p) for p in cell["paras"]) if cell["paras"] else "".join(cell["loose"])
            self.tables[-1][-1].append(text)
            self._cell = None
        elif tag == "p" and self._para is not None:
            self._cell["paras"].append(self._para)
            self._para = None
        elif tag in ("h1", "p") and self._heading is not None:
            self.paragraphs.append("".join(self._heading))
            self._heading = None

    def handle_data(self, data):
        if self._para is not None:
            self._para.append(data)
        elif self._cell is not None:
            if data.strip(ASCII_SPACE):
                self._cell["loose"].append(data.strip(ASCII_SPACE))
        elif self._heading is not None:
            self._heading.append(data)


def parse_form(data: bytes) -> _FormParser:
    parser = _FormParser()
    parser.feed(data.decode("utf-8"))
    parser.close()
    return parser


def html_structure(data: bytes) -> dict:
    p = parse_form(data)
    return {"paragraphs": [t for t in p.paragraphs if t], "tables": p.tables}
