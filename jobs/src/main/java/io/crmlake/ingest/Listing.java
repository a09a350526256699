package io.crmlake.ingest;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A source's landing files as one run sees them: how many are listed, the new ones to read and the
 * new empty ones (recorded in the file log, nothing to read; only text files are empty without
 * being broken). A file is known, and left out, when the file log has it with the same path, size
 * and modification time ({@link FileLog#key}).
 *
 * @param listed files at the source's location
 * @param fresh new files to read, in listing order
 * @param empty new empty files of a line-based source
 */
record Listing(int listed, List<LandingFile> fresh, List<LandingFile> empty) {

  static Listing of(SourceSpec spec, List<LandingFile> listed, Set<String> known) {
    List<LandingFile> fresh = new ArrayList<>();
    List<LandingFile> empty = new ArrayList<>();
    for (LandingFile f : listed) {
      if (known.contains(FileLog.key(f))) {
        continue;
      }
      (f.size() == 0 && spec.lineBased() ? empty : fresh).add(f);
    }
    return new Listing(listed.size(), List.copyOf(fresh), List.copyOf(empty));
  }

  /** The bytes of the new files: the run's input, which sizes its shuffles. */
  long freshBytes() {
    return fresh.stream().mapToLong(LandingFile::size).sum();
  }
}
