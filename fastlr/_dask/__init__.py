"""The Dask adapter: fastlr's API on ``dask.array`` input, chunk by chunk where the data lives.

- :mod:`.input`: recognising a Dask array without importing Dask, and the
  validation of its chunking, labels and weights;
- :mod:`.objective`: one kernel call per chunk and a tree reduction of the
  sums, for ``fastlr.gradient``, ``fastlr.softmax_gradient`` and the
  training objective;
- :mod:`.estimator`: ``LogisticRegression.fit`` on Dask input (classes,
  class weights) and its lazy predictions.

Nothing here imports Dask until a Dask array is passed.
"""
