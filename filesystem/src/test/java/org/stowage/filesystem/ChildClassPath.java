package org.stowage.filesystem;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * The class path for the child JVMs of a crash test, fixed for the test's whole run: the build's
 * own output (class directories, and jars under a {@code target} directory) is copied into the
 * test's temporary directory once, and the children load it from there.
 *
 * <p>Why: a crash test starts hundreds of child JVMs over ten minutes or more. With the test's
 * class path as it is, a child started while the same worktree is being rebuilt ({@code mvn
 * compile} of core rewrites {@code core/target/classes}) fails before its first operation with
 * {@code NoClassDefFoundError}, and the test reports "the child died by itself before operation
 * 0". That failure was reproduced so (docs/performance.md, "The crash test under load, round
 * 2"); it says nothing about the store. Jars in the local Maven repository are left in place.
 */
final class ChildClassPath {
  private ChildClassPath() {}

  /**
   * Copies the build's output on the current class path under {@code dir} and returns the class
   * path that names the copies.
   *
   * @param dir a directory of the test's own, where the copies go
   * @return the class path for child JVMs, entries separated by {@link File#pathSeparator}
   * @throws IOException if copying fails
   */
  static String snapshot(Path dir) throws IOException {
    List<String> entries = new ArrayList<>();
    int n = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path path = Path.of(entry);
      boolean built = Files.isDirectory(path)
          || (Files.isRegularFile(path) && path.toAbsolutePath().toString().contains(File.separator + "target" + File.separator));
      if (!built) {
        entries.add(entry);
        continue;
      }
      Path copy = dir.resolve("classpath-" + (n++));
      if (Files.isDirectory(path)) {
        copyTree(path, copy);
        entries.add(copy.toString());
      } else {
        Files.createDirectories(copy);
        Path jar = copy.resolve(path.getFileName());
        Files.copy(path, jar);
        entries.add(jar.toString());
      }
    }
    return String.join(File.pathSeparator, entries);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    Files.walkFileTree(from, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
        Files.createDirectories(to.resolve(from.relativize(d).toString()));
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
        Files.copy(f, to.resolve(from.relativize(f).toString()), StandardCopyOption.COPY_ATTRIBUTES);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
