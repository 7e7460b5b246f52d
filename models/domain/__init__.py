"""Pure, exact domain logic: standard library only."""
