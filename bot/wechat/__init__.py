"""The Official Account (公众号) callback: envelope (signature, crypto, safe XML), ledger (exactly once),
router (commands and dialogs) and the Flask view."""
