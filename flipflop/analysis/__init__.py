"""Generic analyses of trained networks: weights and spectra, activity and projections, behaviour, selectivity, comparison."""
