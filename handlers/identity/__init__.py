"""Who is who: people, rosters and their changes, WeChat bindings, sessions and logins, and who may see what."""
