// Named re-exports only: the public surface of @typevisor/__NAME__ is exactly what this file names.
