package io.crmlake.common.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.AbstractFileSystem;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * crmlake's local file system does what Hadoop's does, without a process per file: the same
 * permissions on what it creates (compared with files Hadoop's own local file system made in the
 * same folder, read back with {@code java.nio}), the same status for a path that is no link and
 * Hadoop's own answer for a link, and renames through a {@code FileContext} as Delta commits.
 */
class LocalFilesTest {
  @TempDir Path dir;

  private static Configuration conf(boolean nio) {
    Configuration c = new Configuration();
    if (nio) {
      LocalFiles.sparkConf("local[2]")
          .forEach((k, v) -> c.set(k.substring("spark.hadoop.".length()), v));
    }
    c.setBoolean("fs.file.impl.disable.cache", true);
    return c;
  }

  private static String perms(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void settingsOnlyForLocalMasters() {
    assertEquals(
        Map.of(
            "spark.hadoop.fs.file.impl", LocalFiles.NioLocalFileSystem.class.getName(),
            "spark.hadoop.fs.AbstractFileSystem.file.impl", LocalFiles.NioLocalFs.class.getName()),
        LocalFiles.sparkConf("local[*]"));
    for (String cluster : List.of("spark://host:7077", "local-cluster[2,1,1024]", "yarn")) {
      assertEquals(Map.of(), LocalFiles.sparkConf(cluster), cluster);
    }
  }

  @Test
  void permissionBitsAsPosixPermissions() {
    assertEquals(
        PosixFilePermissions.fromString("rw-r-----"),
        LocalFiles.posix(new FsPermission((short) 0640)));
    assertEquals(
        PosixFilePermissions.fromString("rwxr-xr-x"),
        LocalFiles.posix(new FsPermission((short) 0755)));
    assertEquals(
        PosixFilePermissions.fromString("-w---x-wx"),
        LocalFiles.posix(new FsPermission((short) 0213)));
    assertNull(LocalFiles.posix(new FsPermission((short) 01777)), "a sticky bit: chmod's job");
  }

  @Test
  void createsFilesAndFoldersWithHadoopsPermissions() throws Exception {
    URI root = dir.toUri();
    for (boolean nio : List.of(false, true)) {
      FileSystem fs = FileSystem.get(root, conf(nio));
      assertEquals(nio, fs instanceof LocalFiles.NioLocalFileSystem);
      org.apache.hadoop.fs.Path sub = new org.apache.hadoop.fs.Path(root.toString(), nio + "/a/b");
      assertTrue(fs.mkdirs(sub, new FsPermission((short) 0750)));
      try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path(sub, "f.txt"))) {
        out.write(1);
      }
      fs.setPermission(new org.apache.hadoop.fs.Path(sub, "f.txt"), new FsPermission((short) 0640));
      fs.close();
    }
    for (String rel : List.of("a", "a/b", "a/b/f.txt", "a/b/.f.txt.crc")) {
      assertEquals(perms(dir.resolve("false/" + rel)), perms(dir.resolve("true/" + rel)), rel);
    }
    assertEquals("rw-r-----", perms(dir.resolve("true/a/b/f.txt")));
    assertEquals("rwxr-x---", perms(dir.resolve("true/a/b")));
  }

  @Test
  void linkStatusAndRenameThroughAFileContext() throws Exception {
    Path file = Files.writeString(dir.resolve("data.json"), "{}");
    Path link = Files.createSymbolicLink(dir.resolve("link.json"), file);
    FileSystem fs = FileSystem.get(dir.toUri(), conf(true));
    FileStatus plain = fs.getFileLinkStatus(new org.apache.hadoop.fs.Path(file.toUri()));
    assertFalse(plain.isSymlink());
    assertEquals(2, plain.getLen());
    for (org.apache.hadoop.fs.Path p :
        List.of(
            new org.apache.hadoop.fs.Path(link.toUri()),
            new org.apache.hadoop.fs.Path(link.toString()))) {
      FileSystem hadoops = FileSystem.get(dir.toUri(), conf(false));
      FileStatus expected = hadoops.getFileLinkStatus(p);
      FileStatus linked = fs.getFileLinkStatus(p);
      assertEquals(expected.isSymlink(), linked.isSymlink(), p.toString());
      assertEquals(expected.getLen(), linked.getLen(), p.toString());
      assertEquals(expected.getPath(), linked.getPath(), p.toString());
      hadoops.close();
    }
    fs.close();

    FileContext fc = FileContext.getFileContext(dir.toUri(), conf(true));
    assertTrue(AbstractFileSystem.get(dir.toUri(), conf(true)) instanceof LocalFiles.NioLocalFs);
    org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(dir.toUri().toString(), ".1.tmp");
    try (OutputStream out =
        fc.create(tmp, EnumSet.of(CreateFlag.CREATE), Options.CreateOpts.createParent())) {
      out.write("x".getBytes());
    }
    org.apache.hadoop.fs.Path committed =
        new org.apache.hadoop.fs.Path(dir.toUri().toString(), "00001.json");
    fc.rename(tmp, committed);
    assertEquals("x", Files.readString(dir.resolve("00001.json")));
    assertFalse(Files.exists(dir.resolve(".1.tmp")));
    assertEquals("rw-r--r--", perms(dir.resolve("00001.json")));
    // Delta's commits rely on a rename never replacing an existing entry.
    try (OutputStream out =
        fc.create(tmp, EnumSet.of(CreateFlag.CREATE), Options.CreateOpts.createParent())) {
      out.write("y".getBytes());
    }
    assertThrows(FileAlreadyExistsException.class, () -> fc.rename(tmp, committed));
    assertEquals("x", Files.readString(dir.resolve("00001.json")));
    // A path that is not there: not found, as with Hadoop's own.
    FileSystem nio = FileSystem.get(dir.toUri(), conf(true));
    assertThrows(
        FileNotFoundException.class,
        () -> nio.getFileLinkStatus(new org.apache.hadoop.fs.Path(dir.toUri().toString(), "none")));
    nio.close();
  }
}
