package io.crmlake.ingest;

/**
 * One file of a source's landing location.
 *
 * @param uri full URI
 * @param relativePath path below the source location (what identifies the file in line ids)
 * @param size bytes
 * @param modificationTime milliseconds since the epoch
 */
public record LandingFile(String uri, String relativePath, long size, long modificationTime) {}
