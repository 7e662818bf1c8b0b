"""One module per command: options in, a ``output.formats.Result`` out."""
