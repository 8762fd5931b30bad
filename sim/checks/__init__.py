"""Checks that read what a run recorded: replica safety and client-history linearizability."""
