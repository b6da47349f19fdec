package org.stowage.filesystem;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.stowage.ExistingExternalResourceException;
import org.stowage.WritePolicy;

/**
 * The process {@link FileStorageCrashTest} kills: it stores objects in a loop, forever, and prints
 * one line per completed operation, so that the test can kill it after a random number of them.
 *
 * <p>Every object it writes is {@link #content(String, long, int)}: a header naming the location,
 * a version and the size, then bytes that follow from them. So a reader can tell, from the object
 * alone, whether it is some version's content, whole.
 *
 * <p>Arguments: {@code root seed scratch} (a directory for the source files of {@code
 * storePath}). Operations, at random: overwrites of a small set of locations
 * (small and large, from bytes, a stream of unknown length, or a file), CREATE of fresh
 * locations, deletes, and moves of a freshly created object to {@code moved/<same name>} (whose
 * content still names the {@code created/} location it was made at).
 */
public final class CrashChild {
  static final String[] LOCATIONS = {"a", "b", "dir/c", "dir/d", "dir/sub/e", "f", "g/h/i/j"};
  static final String CREATED = "created/";
  static final String MOVED = "moved/";

  private CrashChild() {}

  /** The content of version {@code version} of {@code location}, {@code size} bytes after the header. */
  static byte[] content(String location, long version, int size) {
    byte[] header = (location + "|" + version + "|" + size + "\n").getBytes(StandardCharsets.UTF_8);
    byte[] data = Arrays.copyOf(header, header.length + size);
    Random random = new Random(location.hashCode() * 31L + version);
    byte[] body = new byte[size];
    random.nextBytes(body);
    System.arraycopy(body, 0, data, header.length, size);
    return data;
  }

  /**
   * Whether {@code data} is exactly the content of the version its header names, for {@code
   * location}; {@code null} if so, otherwise what is wrong.
   */
  static String problem(String location, byte[] data) {
    int newline = -1;
    for (int i = 0; i < Math.min(data.length, 300); i++) {
      if (data[i] == '\n') {
        newline = i;
        break;
      }
    }
    if (newline < 0) {
      return "no header in " + data.length + " bytes";
    }
    String[] header = new String(data, 0, newline, StandardCharsets.UTF_8).split("\\|");
    // A moved object keeps the content it was created with, whose header names where it was made.
    String madeAt = location.startsWith(MOVED) ? CREATED + location.substring(MOVED.length()) : location;
    if (header.length != 3 || !header[0].equals(madeAt)) {
      return "a header for another location: " + String.join("|", header);
    }
    byte[] expected = content(madeAt, Long.parseLong(header[1]), Integer.parseInt(header[2]));
    return Arrays.equals(expected, data) ? null
        : "not whole: " + data.length + " bytes, version " + header[1] + " has " + expected.length;
  }

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    long seed = Long.parseLong(args[1]);
    Random random = new Random(seed);
    // Inside the test's own temporary directory, which JUnit removes: a killed child cannot.
    Path scratch = Files.createDirectories(Path.of(args[2]));
    long version = seed * 1_000_000L;
    try (FileStorage storage = new FileStorage(root)) {
      String lastCreated = null;
      for (long op = 0; ; op++) {
        version++;
        int kind = random.nextInt(11);
        String location = LOCATIONS[random.nextInt(LOCATIONS.length)];
        int size = random.nextInt(8) == 0 ? (4 << 20) + random.nextInt(3 << 20) : random.nextInt(70_000);
        byte[] data = content(location, version, size);
        if (kind < 4) {
          storage.storeBytes(location, data);
        } else if (kind < 6) {
          InputStream unknownLength = new ByteArrayInputStream(data) {
            @Override
            public synchronized int available() {
              return 0;
            }
          };
          storage.storeStream(location, unknownLength);
        } else if (kind < 7) {
          Path file = Files.write(scratch.resolve("src-" + op), data);
          storage.storePath(location, file);
          Files.delete(file);
        } else if (kind < 9) {
          String fresh = CREATED + seed + "-" + op;
          byte[] created = content(fresh, version, size);
          try {
            storage.storeBytes(fresh, created, WritePolicy.CREATE);
          } catch (ExistingExternalResourceException impossible) {
            throw new AssertionError("a fresh location was present: " + fresh);
          }
          lastCreated = fresh;
        } else if (kind < 10) {
          storage.deleteIfExists(location);
        } else if (lastCreated != null) {
          // A rename with its record, under both locations' locks (rule M2).
          String name = lastCreated.substring(CREATED.length());
          storage.move(lastCreated, MOVED + name, random.nextBoolean()
              ? WritePolicy.CREATE : WritePolicy.OVERWRITE);
          lastCreated = null;
        }
        System.out.println("op " + op);
        System.out.flush();
      }
    }
  }
}
