"""The benchmark behind `registry bench`: speed shown by a command, never by timed tests."""
