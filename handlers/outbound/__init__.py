"""What the system sends: notices, reminders, personal follow-ups, deliveries, audiences, work groups and links."""
