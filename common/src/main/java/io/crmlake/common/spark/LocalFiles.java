package io.crmlake.common.spark;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFs;
import org.apache.hadoop.fs.DelegateToFileSystem;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FsConstants;
import org.apache.hadoop.fs.FsServerDefaults;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.local.LocalConfigKeys;
import org.apache.hadoop.fs.permission.FsAction;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Hadoop's local file system ({@code file:} paths) without a process per file, for local masters.
 *
 * <p>Without Hadoop's native library (not shipped with Spark's jars), the local file system runs a
 * program to set a permission and to resolve a link: {@code chmod} for every file and directory it
 * creates (and its checksum file), {@code readlink} for every rename through a {@code FileContext},
 * which is how Delta commits a log entry. A demo run started about 4,000 of them, a few
 * milliseconds each, most of the generator's and a good part of every commit's time. These
 * subclasses set the same permissions with {@code java.nio}, and ask {@code java.nio} whether a
 * path is a link before Hadoop resolves it (a real link still goes to Hadoop); everything else is
 * Hadoop's.
 *
 * <p>{@link #sparkConf} gives them to local masters only: a cluster's executors are JVMs of their
 * own, configured by their cluster, and lake paths there are HDFS or object stores anyway.
 */
public final class LocalFiles {
  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  private LocalFiles() {}

  /** The Hadoop settings (as Spark settings) for {@code master}: none unless it is local. */
  public static Map<String, String> sparkConf(String master) {
    if (!FatalErrors.isLocal(master)) {
      return Map.of();
    }
    return Map.of(
        "spark.hadoop.fs.file.impl", NioLocalFileSystem.class.getName(),
        "spark.hadoop.fs.AbstractFileSystem.file.impl", NioLocalFs.class.getName());
  }

  /** {@code chmod} as a set of POSIX permissions, or null when it has bits beyond them. */
  static Set<PosixFilePermission> posix(FsPermission permission) {
    if (permission.getStickyBit()) {
      return null;
    }
    Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
    add(
        out,
        permission.getUserAction(),
        PosixFilePermission.OWNER_READ,
        PosixFilePermission.OWNER_WRITE,
        PosixFilePermission.OWNER_EXECUTE);
    add(
        out,
        permission.getGroupAction(),
        PosixFilePermission.GROUP_READ,
        PosixFilePermission.GROUP_WRITE,
        PosixFilePermission.GROUP_EXECUTE);
    add(
        out,
        permission.getOtherAction(),
        PosixFilePermission.OTHERS_READ,
        PosixFilePermission.OTHERS_WRITE,
        PosixFilePermission.OTHERS_EXECUTE);
    return out;
  }

  private static void add(
      Set<PosixFilePermission> out,
      FsAction action,
      PosixFilePermission read,
      PosixFilePermission write,
      PosixFilePermission execute) {
    if (action.implies(FsAction.READ)) {
      out.add(read);
    }
    if (action.implies(FsAction.WRITE)) {
      out.add(write);
    }
    if (action.implies(FsAction.EXECUTE)) {
      out.add(execute);
    }
  }

  /** The raw local file system, setting permissions and telling links with {@code java.nio}. */
  public static class NioRawLocalFileSystem extends RawLocalFileSystem {
    @Override
    public void setPermission(Path p, FsPermission permission) throws IOException {
      Set<PosixFilePermission> posix = posix(permission);
      java.nio.file.Path file = pathToFile(p).toPath();
      if (posix == null || !POSIX) {
        super.setPermission(p, permission); // a sticky bit, or not a POSIX file system: chmod
        return;
      }
      Files.setPosixFilePermissions(file, posix);
    }

    /** Hadoop's answer for a path that is no link is its status: no {@code readlink} needed. */
    @Override
    public FileStatus getFileLinkStatus(Path f) throws IOException {
      if (!Files.isSymbolicLink(pathToFile(f).toPath())) {
        return getFileStatus(f);
      }
      return super.getFileLinkStatus(f);
    }
  }

  /** {@code fs.file.impl}: Hadoop's checksummed local file system over the raw one above. */
  public static class NioLocalFileSystem extends LocalFileSystem {
    public NioLocalFileSystem() {
      super(new NioRawLocalFileSystem());
    }
  }

  /**
   * {@code fs.AbstractFileSystem.file.impl} (what a {@code FileContext} uses), as Hadoop's LocalFs.
   */
  public static class NioLocalFs extends ChecksumFs {
    public NioLocalFs(URI uri, Configuration conf) throws IOException, URISyntaxException {
      super(new NioRawLocalFs(FsConstants.LOCAL_FS_URI, conf)); // as Hadoop's LocalFs: file:///
    }
  }

  /** As Hadoop's RawLocalFs (whose constructors are not public), over the raw file system above. */
  static class NioRawLocalFs extends DelegateToFileSystem {
    NioRawLocalFs(URI uri, Configuration conf) throws IOException, URISyntaxException {
      super(uri, new NioRawLocalFileSystem(), conf, "file", false);
    }

    @Override
    public int getUriDefaultPort() {
      return -1;
    }

    @Override
    public FsServerDefaults getServerDefaults(Path f) throws IOException {
      return LocalConfigKeys.getServerDefaults();
    }

    @Override
    @SuppressWarnings("deprecation")
    public FsServerDefaults getServerDefaults() throws IOException {
      return LocalConfigKeys.getServerDefaults();
    }

    @Override
    public boolean isValidName(String src) {
      return true; // local names may hold colons and the like
    }
  }
}
