"""The console: a Dutch web page on the stored snapshots where controllers tune, the kernteam
acknowledges and managers look. It computes no figure of its own."""
