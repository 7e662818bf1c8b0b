"""The output side: JSON documents, CSV rows, tables for a terminal, and the streams they go to."""
