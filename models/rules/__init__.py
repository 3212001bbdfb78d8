"""Pure rules: functions of plain data plus a policy profile. No database, no I/O."""
