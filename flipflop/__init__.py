"""flipflop: train and analyse flip-flop recurrent networks with Keras 3.

Reproduces C. Jarne, "Exploring Flip Flop memories and beyond" (2024), and goes beyond it.
Importing the package does not import TensorFlow; the submodules that need it do.
"""
__version__ = "0.1.0"
