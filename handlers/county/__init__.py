"""The county office's oversight: the progress board, filings (results and 双备案), person records, the audit log."""
