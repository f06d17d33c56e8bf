"""Fleet accounts, vehicles and their service intervals."""
