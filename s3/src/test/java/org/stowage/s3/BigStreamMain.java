package org.stowage.s3;

import java.nio.file.Path;
import org.stowage.Metadata;

/**
 * Run by {@link S3BigStreamTest} in a JVM of its own with a small heap: starts s3proxy over files
 * in a directory (so that stored bytes are on disk, not on the heap of this JVM), stores a
 * generated stream of unknown length through S3Storage with the default part size and
 * concurrency, and checks the MD5 that {@code getMetadata} reports. Exits 0 on success.
 *
 * <p>Arguments: the number of bytes, and the directory for s3proxy's files.
 */
public final class BigStreamMain {
  private BigStreamMain() {}

  public static void main(String[] args) throws Exception {
    long size = Long.parseLong(args[0]);
    Path dir = java.nio.file.Files.createDirectories(Path.of(args[1]));
    long seed = 1234;
    try (S3ProxyServer server = S3ProxyServer.startFilesystem(dir)) {
      S3Endpoint endpoint = server.endpoint("big");
      try (S3Storage storage = endpoint.freshStorage().build()) {
        Metadata stored = storage.storeStream("big.bin", TestData.stream(seed, size));
        Metadata expected = new Metadata(TestData.md5(seed, size), size);
        Metadata reported = storage.getMetadata("big.bin");
        System.out.println(
            "maxHeap=" + Runtime.getRuntime().maxMemory() + " stored=" + stored + " reported="
                + reported + " expected=" + expected);
        if (!expected.equals(stored) || !expected.equals(reported)) {
          System.out.println("MISMATCH");
          System.exit(2);
        }
      }
    }
    System.out.println("OK");
    System.exit(0);
  }
}
