"""Models: the cell registry (``cells``), the continuous-time cell (``ctrnn``), the builder
(``build``), the optimizers and the named training recipes. Importing it imports no TensorFlow."""
