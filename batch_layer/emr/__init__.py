"""Running the batch job on EMR Serverless: the entry script and the package builder."""
