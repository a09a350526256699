package io.crmlake.testing;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The local file system under the scheme {@code faulty:}, with faults a test plants by file name: a
 * file that vanishes when it is opened for the n-th time, or one that grows (a line appended) right
 * after its n-th open, as a writer still busy with it would. Register it on a session with {@link
 * #register}. The rules are static: local-mode executors share the test's JVM.
 */
public final class FaultyFileSystem extends RawLocalFileSystem {
  private static final Map<String, Integer> VANISH_AT = new ConcurrentHashMap<>();
  private static final Map<String, Integer> GROW_AT = new ConcurrentHashMap<>();
  private static final Map<String, String> GROW_BY = new ConcurrentHashMap<>();
  private static final Map<String, AtomicInteger> OPENS = new ConcurrentHashMap<>();

  /** Makes {@code faulty:///<local path>} resolve to this file system. */
  public static void register(Configuration conf) {
    conf.set("fs.faulty.impl", FaultyFileSystem.class.getName());
    conf.setBoolean("fs.faulty.impl.disable.cache", true);
  }

  /** Deletes the file named {@code name} as it is opened for the {@code n}-th time. */
  public static void vanishAtOpen(String name, int n) {
    VANISH_AT.put(name, n);
  }

  /** Appends {@code text} to the file named {@code name} right after its {@code n}-th open. */
  public static void growAtOpen(String name, int n, String text) {
    GROW_AT.put(name, n);
    GROW_BY.put(name, text);
  }

  /** How many times the file named {@code name} was opened. */
  public static int opens(String name) {
    AtomicInteger n = OPENS.get(name);
    return n == null ? 0 : n.get();
  }

  public static void reset() {
    VANISH_AT.clear();
    GROW_AT.clear();
    GROW_BY.clear();
    OPENS.clear();
  }

  @Override
  public URI getUri() {
    return URI.create("faulty:///");
  }

  @Override
  public String getScheme() {
    return "faulty";
  }

  @Override
  public void initialize(URI uri, Configuration conf) throws IOException {
    super.initialize(uri, conf);
    setConf(conf);
  }

  /**
   * Plain statuses: the local ones load their permissions lazily from a {@code java.io.File} made
   * of the path's URI, which only takes {@code file:}.
   */
  @Override
  public FileStatus getFileStatus(Path f) throws IOException {
    return plain(super.getFileStatus(f));
  }

  @Override
  public FileStatus[] listStatus(Path f) throws IOException {
    FileStatus[] all = super.listStatus(f);
    FileStatus[] out = new FileStatus[all.length];
    for (int i = 0; i < all.length; i++) {
      out[i] = plain(all[i]);
    }
    return out;
  }

  private static FileStatus plain(FileStatus s) {
    return new FileStatus(
        s.getLen(),
        s.isDirectory(),
        s.getReplication(),
        s.getBlockSize(),
        s.getModificationTime(),
        s.getPath());
  }

  @Override
  public FSDataInputStream open(Path f, int bufferSize) throws IOException {
    String name = f.getName();
    int n = OPENS.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
    if (VANISH_AT.getOrDefault(name, -1) == n) {
      Files.delete(pathToFile(f).toPath());
      throw new FileNotFoundException(f + " (deleted by the test as it was opened)");
    }
    FSDataInputStream in = super.open(f, bufferSize);
    if (GROW_AT.getOrDefault(name, -1) == n) {
      Files.writeString(
          pathToFile(f).toPath(),
          GROW_BY.get(name),
          StandardCharsets.UTF_8,
          StandardOpenOption.APPEND);
    }
    return in;
  }
}
