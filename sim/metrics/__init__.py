"""What a run measured: the recorder's rows, the tables built from them, the summary figures."""
