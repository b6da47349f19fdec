package org.stowage.examples;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.filesystem.FileStorage;

/**
 * The smallest tour of the API: store a file, list it, load it back verified.
 *
 * <p>The first argument names the store: a directory (a {@link FileStorage}), or any storage URI
 * that {@link ExternalStorage#open(String)} takes, such as {@code
 * s3://bucket/demo?endpoint=http://127.0.0.1:9000&region=us-east-1&pathStyle=true} for MinIO (S3
 * credentials come from the AWS SDK's default chain, e.g. {@code AWS_ACCESS_KEY_ID} and {@code
 * AWS_SECRET_ACCESS_KEY}).
 *
 * <p>Run: {@code mvn -q -pl examples -am package -DskipTests -Pquick-start [-Dstore=URI]}; by
 * default the store lands in {@code examples/target/quick-start-store}.
 */
public final class QuickStart {
  private QuickStart() {}

  public static void main(String[] args) throws IOException {
    String store = args.length > 0 ? args[0] : "quick-start-store";
    Path scratch = Files.createTempDirectory("stowage-quick-start");
    Path result = Files.writeString(scratch.resolve("result.json"), "{\"energy\": -42.0}\n");

    try (ExternalStorage storage = open(store)) {
      System.out.println("store    " + storage);
      Metadata stored = storage.storePath("run-1/unit-a/result.json", result);
      System.out.printf("stored   run-1/unit-a/result.json  md5=%s  %d bytes%n", stored.md5(), stored.size());

      try (Stream<String> listing = storage.iterContents("run-1/")) {
        List<String> locations = listing.collect(Collectors.toList());
        System.out.println("listed   " + locations);
      }

      try (InputStream in = storage.loadStream("run-1/unit-a/result.json", stored)) {
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        System.out.println("loaded   " + text + "  (verified against md5 " + stored.md5() + ")");
      }
      System.out.println("lives at " + storage.uri("run-1/unit-a/result.json"));
    } finally {
      Files.deleteIfExists(result);
      Files.deleteIfExists(scratch);
    }
  }

  /** A storage URI (it has a scheme), or else a directory. */
  static ExternalStorage open(String store) {
    return store.matches("[A-Za-z][A-Za-z0-9+.-]*:.*") && !store.matches("[A-Za-z]:\\\\.*")
        ? ExternalStorage.open(store)
        : new FileStorage(Path.of(store).toAbsolutePath());
  }
}
