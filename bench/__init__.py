"""`make bench`: server time and queries of the operator pages at the large demo scale."""
