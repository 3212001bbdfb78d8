"""Use cases, transport-agnostic: ``(session, actor, input) -> result``; they raise domain errors."""
