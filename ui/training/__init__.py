"""The studio's Train area: data and compile settings, a worker thread that trains a copy of
the model, live curves and the results of the last run."""
