"""Small programs the benchmark starts in their own interpreter to time the client from outside."""
