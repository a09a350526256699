package io.crmlake.ingest;

import io.crmlake.common.config.ConfigError;
import io.crmlake.common.config.LakePaths;
import io.crmlake.ingest.SourceSpec.Format;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.PathMatcher;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * A source's landing location as files: lists them (hidden files and folders, {@code _*} and {@code
 * .*}, are skipped; names must match the source's glob) and tells whether a file changed since it
 * was listed. A Delta source is its table folder, listed as one file.
 */
final class LandingFolder {
  private LandingFolder() {}

  /** The source's files, sorted by path below the location. */
  static List<LandingFile> list(SourceSpec spec, Configuration conf) {
    Path location = new Path(spec.location());
    FileSystem fs = LakePaths.fileSystem(location, conf, "source " + spec.name() + " location");
    try {
      if (!fs.exists(location)) {
        throw new ConfigError(
            "source " + spec.name() + " (" + spec.file() + "): location not found: " + location);
      }
      FileStatus top = fs.getFileStatus(location);
      if (spec.format() == Format.DELTA) {
        return List.of(new LandingFile(top.getPath().toString(), "", 0, top.getModificationTime()));
      }
      if (top.isFile()) {
        return List.of(
            new LandingFile(
                top.getPath().toString(),
                top.getPath().getName(),
                top.getLen(),
                top.getModificationTime()));
      }
      return matchingFilesUnder(fs, top, spec.glob());
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + location + ": " + e, e);
    }
  }

  private static List<LandingFile> matchingFilesUnder(FileSystem fs, FileStatus top, String glob)
      throws IOException {
    PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
    String base = top.getPath().toUri().getPath();
    List<LandingFile> out = new ArrayList<>();
    for (FileStatus f : filesUnder(fs, top.getPath())) {
      String rel = f.getPath().toUri().getPath().substring(base.length()).replaceFirst("^/", "");
      if (hidden(rel) || !matcher.matches(Paths.get(f.getPath().getName()))) {
        continue;
      }
      out.add(new LandingFile(f.getPath().toString(), rel, f.getLen(), f.getModificationTime()));
    }
    out.sort((a, b) -> a.relativePath().compareTo(b.relativePath()));
    return out;
  }

  /**
   * Every file under {@code dir}. Object stores and HDFS list the tree flat ({@code listFiles});
   * the local file system is walked a directory at a time, because its {@code listFiles} builds a
   * located status per file, which asks for the file's permissions: without Hadoop's native library
   * that forks an {@code ls} per file (7 s for the demo's 732 daily files).
   */
  private static List<FileStatus> filesUnder(FileSystem fs, Path dir) throws IOException {
    List<FileStatus> out = new ArrayList<>();
    if (!(fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem)) {
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
      while (it.hasNext()) {
        out.add(it.next());
      }
      return out;
    }
    Deque<Path> dirs = new ArrayDeque<>(List.of(dir));
    while (!dirs.isEmpty()) {
      for (FileStatus s : fs.listStatus(dirs.pop())) {
        if (s.isDirectory()) {
          dirs.push(s.getPath());
        } else {
          out.add(s);
        }
      }
    }
    return out;
  }

  private static boolean hidden(String rel) {
    for (String part : rel.split("/")) {
      if (part.startsWith("_") || part.startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  /** How a file differs from its listing (size, time, gone), or null when it is unchanged. */
  static String changeSinceListing(LandingFile f, Configuration conf) {
    Path p = new Path(f.uri());
    try {
      FileStatus now = p.getFileSystem(conf).getFileStatus(p);
      if (now.getLen() != f.size() || now.getModificationTime() != f.modificationTime()) {
        return "changed while being read (size " + f.size() + " -> " + now.getLen() + " bytes)";
      }
      return null;
    } catch (FileNotFoundException e) {
      return "vanished while being read";
    } catch (IOException e) {
      return "cannot be checked after reading: " + e;
    }
  }
}
