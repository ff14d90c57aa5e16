"""The processing phase's engines: the raster pipeline, upscaling, background removal, page
splitting and merging. Imported by the pipeline's steps inside the step, never by the API process."""
