package org.stowage.filesystem;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.stowage.ExternalStorage;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.ObjectSource;
import org.stowage.WritePolicy;
import org.stowage.cas.ContentAddressedStore;
import org.stowage.staging.ContentCollector;

/**
 * The child of {@link FileStorageCollectionCrashTest}: runs one collection of the store at {@code
 * args[0]} and prints {@code deleted <location>} after each delete, so that the parent can kill it
 * between two of them. Spool files go to {@code args[1]}.
 */
public final class CollectingChild {
  private CollectingChild() {}

  public static void main(String[] args) {
    try (FileStorage files = new FileStorage(Path.of(args[0]));
        ExternalStorage announcing = new Announcing(files)) {
      ContentAddressedStore cas = new ContentAddressedStore(announcing);
      System.out.println("started");
      ContentCollector.builder(cas).dryRun(false).parallelism(2).lease(Duration.ofMillis(500))
          .spoolDirectory(Path.of(args[1])).build().collect();
      System.out.println("finished");
    }
  }

  /** A store that passes every call to another and prints each delete once it is done. */
  static final class Announcing extends ExternalStorage {
    private final ExternalStorage inner;

    Announcing(ExternalStorage inner) {
      this.inner = inner;
    }

    @Override
    protected boolean writeObject(Location location, ObjectSource source, boolean replaceExisting) {
      try {
        inner.storeSource(location.value(), source, replaceExisting ? WritePolicy.OVERWRITE : WritePolicy.CREATE);
        return true;
      } catch (org.stowage.ExistingExternalResourceException e) {
        return false;
      }
    }

    @Override
    protected InputStream openObject(Location location) {
      return inner.exists(location.value()) ? inner.loadStream(location.value()) : null;
    }

    @Override
    protected boolean objectExists(Location location) {
      return inner.exists(location.value());
    }

    @Override
    protected Metadata objectMetadata(Location location) {
      return inner.findMetadata(location.value()).orElse(null);
    }

    @Override
    protected boolean deleteObject(Location location) {
      boolean deleted = inner.deleteIfExists(location.value());
      if (deleted && location.value().startsWith("cas/sha256/")) {
        System.out.println("deleted " + location.value());
        System.out.flush();
      }
      return deleted;
    }

    @Override
    protected Stream<String> listObjects(String prefix) {
      return inner.iterContents(prefix);
    }

    @Override
    protected URI objectUri(Location location) {
      return inner.uri(location.value());
    }

    @Override
    protected void closeStorage() {}

    @Override
    public String toString() {
      return "Announcing[" + inner + "]";
    }
  }

}
