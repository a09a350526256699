package io.crmlake.common.run;

import io.crmlake.common.run.JobLock.Holder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A {@link JobLock}'s file: its format (the count of owed runs, the holder's fields, each owed
 * run's, an end line) and the file-system operations the lock needs, atomic on local disks and
 * HDFS: create only if absent, replace, rename aside, read.
 */
final class LockFile {
  private LockFile() {}

  static boolean createIfAbsent(FileSystem fs, Path path, Holder h) throws IOException {
    byte[] bytes = render(h);
    if ("file".equals(fs.getScheme())) {
      // java.io's CREATE_NEW is atomic; Hadoop's local create checks, then creates.
      try (OutputStream out =
          Files.newOutputStream(
              Paths.get(path.toUri().getPath()),
              StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE)) {
        out.write(bytes);
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      }
    }
    try (FSDataOutputStream out = fs.create(path, false)) {
      out.write(bytes);
      return true;
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      if (fs.exists(path)) {
        return false;
      }
      throw e;
    }
  }

  /** Renames {@code from} if it exists (atomically on local disks and HDFS). */
  static void rename(FileSystem fs, Path from, Path to) throws IOException {
    if ("file".equals(fs.getScheme())) {
      try {
        Files.move(
            Paths.get(from.toUri().getPath()),
            Paths.get(to.toUri().getPath()),
            StandardCopyOption.ATOMIC_MOVE);
      } catch (java.nio.file.NoSuchFileException gone) {
        // another run set it aside first
      }
      return;
    }
    fs.rename(from, to);
  }

  static void replace(FileSystem fs, Path path, Holder h) throws IOException {
    byte[] bytes = render(h);
    if ("file".equals(fs.getScheme())) {
      java.nio.file.Path target = Paths.get(path.toUri().getPath());
      java.nio.file.Path tmp =
          target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID());
      Files.write(tmp, bytes);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return;
    }
    try (FSDataOutputStream out = fs.create(path, true)) {
      out.write(bytes);
    }
  }

  /**
   * The holder a lock file names; empty if there is none or it cannot be parsed (being written).
   */
  static Optional<Holder> read(FileSystem fs, Path path) throws IOException {
    byte[] bytes;
    try (InputStream in = fs.open(path)) {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      in.transferTo(buf);
      bytes = buf.toByteArray();
    } catch (java.io.FileNotFoundException e) {
      return Optional.empty();
    }
    Properties p = new Properties();
    p.load(new StringReader(new String(bytes, StandardCharsets.UTF_8)));
    if (p.containsKey("owed") && !p.containsKey("end")) {
      return Optional.empty(); // being written
    }
    try {
      List<Holder> owed = new ArrayList<>();
      int n = Integer.parseInt(p.getProperty("owed", "0"));
      for (int i = 0; i < n; i++) {
        owed.add(holder(p, "owed." + i + ".", List.of()));
      }
      return Optional.of(holder(p, "", owed));
    } catch (RuntimeException partial) {
      return Optional.empty();
    }
  }

  static Holder holder(Properties p, String prefix, List<Holder> owed) {
    return new Holder(
        p.getProperty(prefix + "run_id"),
        p.getProperty(prefix + "host"),
        Long.parseLong(p.getProperty(prefix + "pid")),
        Instant.parse(p.getProperty(prefix + "started")),
        Instant.parse(p.getProperty(prefix + "heartbeat")),
        Boolean.parseBoolean(p.getProperty(prefix + "recorded", "false")),
        owed);
  }

  /**
   * The lock file: the count of runs it owes a record of, the holder, each owed run's fields, and
   * an end line (a file read while being written lacks it and is read as not there yet).
   */
  static byte[] render(Holder h) {
    StringBuilder text = new StringBuilder("owed=").append(h.owed().size()).append('\n');
    text.append(fields(h, ""));
    for (int i = 0; i < h.owed().size(); i++) {
      text.append(fields(h.owed().get(i), "owed." + i + "."));
    }
    text.append("end=").append(h.runId()).append('\n');
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  static String fields(Holder h, String prefix) {
    return String.format(
        "%1$srun_id=%2$s%n%1$shost=%3$s%n%1$spid=%4$d%n%1$sstarted=%5$s%n%1$sheartbeat=%6$s%n"
            + "%1$srecorded=%7$s%n",
        prefix, h.runId(), h.host(), h.pid(), h.started(), h.heartbeat(), h.recorded());
  }
}
