"""The batch layer: the nightly PySpark job (bronze -> silver -> gold) and the legacy CSV loader.

`batch_layer.job.run_batch` is the job's Python entry point; `batch_layer.csv_loader.load_csv`
the loader's. Nothing here imports another layer: inputs and outputs meet in the lake.
"""
