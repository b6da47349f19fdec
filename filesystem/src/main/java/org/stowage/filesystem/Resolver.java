package org.stowage.filesystem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import org.stowage.ExternalResourceException;
import org.stowage.Location;

/**
 * Maps locations to paths under a store's root, and keeps every path inside it (rule L4).
 *
 * <p>A location's segments are resolved one at a time from the root's real path. Each directory
 * on the way is examined without following links; a symbolic link is followed only if its real
 * target lies inside the root and outside the reserved {@code .stowage} entries, and refused
 * otherwise (a dangling link too: where it would lead cannot be checked). The final component is
 * checked the same way. These checks see the tree as it is when they run; they guard against
 * links that are present in the tree, not against another process that swaps a directory for a
 * link between the check and the use (see docs/filesystem.md).
 */
final class Resolver {
  private final Path root;
  private final String storage;
  /**
   * Whether the root is on the default filesystem of a platform whose only name separator is
   * {@code /} (Unix), where a valid location segment (no {@code /}, neither {@code .} nor {@code
   * ..}, rule L2) always resolves to exactly one child; elsewhere ({@code C:x} on Windows) {@link
   * #child} checks.
   */
  private final boolean slashOnly;

  /**
   * @param root the root's real path ({@link Path#toRealPath})
   * @param storage the storage's name for messages
   */
  Resolver(Path root, String storage) {
    this.root = root;
    this.storage = storage;
    this.slashOnly =
        java.io.File.separatorChar == '/'
            && root.getFileSystem() == java.nio.file.FileSystems.getDefault();
  }

  Path root() {
    return root;
  }

  /**
   * Where a location's path leads.
   *
   * @param path the object's path (its parents real, its last component as named)
   * @param attributes what {@code path} is, following a link that stays inside the root; {@code
   *     null} if nothing is there, or a parent is missing or is not a directory
   * @param deepestDirectory the deepest existing directory on the way (the parent of {@code path}
   *     when all parents exist)
   * @param missingDirectories how many parents of {@code path} do not exist yet
   * @param blockedBy the location prefix that names a non-directory where a directory is needed,
   *     or {@code null}
   * @param pruneLimit the directory that pruning after a delete must stop at: the root, or the
   *     target of the deepest parent that is a symbolic link
   * @param isLink whether {@code path} itself is a symbolic link (which {@code attributes}
   *     followed)
   */
  record Located(
      Path path,
      BasicFileAttributes attributes,
      Path deepestDirectory,
      int missingDirectories,
      String blockedBy,
      Path pruneLimit,
      boolean isLink) {

    /** Whether a regular file (an object) is there. */
    boolean isObject() {
      return attributes != null && attributes.isRegularFile();
    }
  }

  /**
   * Resolves {@code location} for {@code operation}.
   *
   * @throws ExternalResourceException naming rule L4 if a symbolic link on the way leads out of
   *     the root, into the reserved entries, or nowhere
   * @throws IOException if the filesystem fails
   */
  Located locate(Location location, String operation) throws IOException {
    List<String> segments = location.segments();
    int last = segments.size() - 1;
    Path dir = root;
    Path pruneLimit = root;
    for (int i = 0; i < last; i++) {
      Path next = child(dir, segments.get(i), location);
      BasicFileAttributes attributes = attributesOrNull(next, LinkOption.NOFOLLOW_LINKS);
      if (attributes != null && attributes.isSymbolicLink()) {
        next = followOrRefuse(next, location, prefix(segments, i), operation);
        attributes = attributesOrNull(next);
        pruneLimit = next;
      }
      if (attributes == null || !attributes.isDirectory()) {
        Path path = next;
        for (int j = i + 1; j <= last; j++) {
          path = child(path, segments.get(j), location);
        }
        String blockedBy = attributes == null ? null : prefix(segments, i);
        return new Located(path, null, dir, last - i, blockedBy, pruneLimit, false);
      }
      dir = next;
    }
    Path file = child(dir, segments.get(last), location);
    return last(file, location, operation, dir, 0, pruneLimit);
  }

  /**
   * Looks again at the last component of {@code at}, which {@link #locate} returned for {@code
   * location} a moment ago, without examining its directories again: one {@code lstat} (and the
   * L4 check of a link there). For a step under the location's lock that must see the current
   * file; a directory on the way that changed meanwhile makes that step's own system call fail.
   * A location that was blocked by an object is resolved again in full.
   */
  Located refresh(Located at, Location location, String operation) throws IOException {
    if (at.blockedBy() != null) {
      return locate(location, operation);
    }
    return last(
        at.path(), location, operation, at.deepestDirectory(), at.missingDirectories(),
        at.pruneLimit());
  }

  private Located last(
      Path file,
      Location location,
      String operation,
      Path dir,
      int missingDirectories,
      Path pruneLimit)
      throws IOException {
    BasicFileAttributes attributes = attributesOrNull(file, LinkOption.NOFOLLOW_LINKS);
    boolean isLink = attributes != null && attributes.isSymbolicLink();
    if (isLink) {
      Path target = followOrRefuse(file, location, location.value(), operation);
      attributes = attributesOrNull(target);
    }
    return new Located(file, attributes, dir, missingDirectories, null, pruneLimit, isLink);
  }

  /**
   * Resolves the directory that a listing prefix's directory part names ({@code segments}, each a
   * valid location segment), or returns {@code null} if there is none, it is not a directory, or a
   * link on the way may not be followed (logged by {@code onRefused}).
   */
  Path directory(List<String> segments, RefusalLog onRefused) throws IOException {
    Path dir = root;
    for (int i = 0; i < segments.size(); i++) {
      Path next;
      try {
        next = dir.resolve(segments.get(i));
      } catch (InvalidPathException e) {
        return null;
      }
      if (!dir.equals(next.getParent())) {
        return null;
      }
      BasicFileAttributes attributes = attributesOrNull(next, LinkOption.NOFOLLOW_LINKS);
      if (attributes != null && attributes.isSymbolicLink()) {
        Link link = follow(next);
        if (link.problem() != null) {
          onRefused.refused(prefix(segments, i), link.problem());
          return null;
        }
        next = link.target();
        attributes = attributesOrNull(next);
      }
      if (attributes == null || !attributes.isDirectory()) {
        return null;
      }
      dir = next;
    }
    return dir;
  }

  /** Receives the links a listing skips. */
  @FunctionalInterface
  interface RefusalLog {
    void refused(String location, String problem);
  }

  /**
   * Where a symbolic link leads.
   *
   * @param target the real path it leads to, if it may be followed
   * @param problem why it may not be followed, or {@code null}
   */
  record Link(Path target, String problem) {}

  /** Follows the symbolic link {@code link}, and says whether a store may follow it (rule L4). */
  Link follow(Path link) throws IOException {
    Path target;
    try {
      target = link.toRealPath();
    } catch (NoSuchFileException e) {
      String to;
      try {
        to = " to " + Files.readSymbolicLink(link);
      } catch (IOException | UnsupportedOperationException notALinkAnyMore) {
        to = "";
      }
      return new Link(
          null, "is a symbolic link" + to + " that leads nowhere, so it cannot be checked");
    }
    if (!target.startsWith(root)) {
      return new Link(
          null, "is a symbolic link that leads to " + target + ", outside the root " + root);
    }
    for (Path name : root.relativize(target)) {
      if (name.toString().startsWith(Location.RESERVED_PREFIX)) {
        return new Link(
            null,
            "is a symbolic link that leads to " + target + ", into the store's own reserved \""
                + Location.RESERVED_PREFIX + "\" entries");
      }
    }
    return new Link(target, null);
  }

  /**
   * The attributes of {@code path}, or {@code null} if nothing is there. A name longer than the
   * filesystem allows (ENAMETOOLONG, rule L1.1) names nothing: no object can be stored under it,
   * so reads answer "absent" and only stores are refused.
   */
  static BasicFileAttributes attributesOrNull(Path path, LinkOption... options)
      throws IOException {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class, options);
    } catch (NoSuchFileException | NotDirectoryException e) {
      return null;
    } catch (java.nio.file.FileSystemException e) {
      if (nameTooLong(e)) {
        return null;
      }
      throw e;
    }
  }

  /** Whether {@code e} says a file name is longer than the filesystem allows. */
  static boolean nameTooLong(java.nio.file.FileSystemException e) {
    return e.getReason() != null && e.getReason().contains("name too long");
  }

  private Path followOrRefuse(Path link, Location location, String named, String operation)
      throws IOException {
    Link followed = follow(link);
    if (followed.problem() != null) {
      throw new ExternalResourceException(
          storage + ": " + operation + " of " + FileStorage.quote(location.value()) + " refused: "
              + FileStorage.quote(named) + " " + followed.problem() + " (rule L4)",
          location.value(),
          null);
    }
    return followed.target();
  }

  /**
   * {@code dir.resolve(name)}, checked to be exactly one new component under {@code dir}: on some
   * platforms a name such as {@code C:x} would resolve elsewhere (rule L4).
   */
  private Path child(Path dir, String name, Location location) {
    Path child;
    try {
      child = dir.resolve(name);
    } catch (InvalidPathException e) {
      throw unrepresentable(location, name, e);
    }
    if (slashOnly) {
      return child;
    }
    if (!dir.equals(child.getParent())
        || child.getFileName() == null
        || !name.equals(child.getFileName().toString())) {
      throw unrepresentable(location, name, null);
    }
    return child;
  }

  private ExternalResourceException unrepresentable(
      Location location, String name, Exception cause) {
    return new ExternalResourceException(
        storage + ": " + FileStorage.quote(location.value()) + " cannot be stored on this"
            + " filesystem: its segment " + FileStorage.quote(name) + " is not a file name here"
            + (cause == null ? "" : " (" + cause.getMessage() + ")") + " (rule L1.1)",
        location.value(),
        cause);
  }

  private static String prefix(List<String> segments, int upTo) {
    return String.join("/", segments.subList(0, upTo + 1));
  }
}
