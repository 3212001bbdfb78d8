"""Local stand-ins for WeChat, for the demo and the tests. Off in production."""
