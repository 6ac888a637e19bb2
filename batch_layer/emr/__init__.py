"""Running the batch job on EMR Serverless: the entry script spark-submit starts."""
