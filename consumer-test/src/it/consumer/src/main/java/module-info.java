/** A user's module that requires Stowage's modules by their names. */
module org.example.consumer {
  requires org.stowage;
  requires org.stowage.filesystem;
  requires org.stowage.memory;
  requires org.stowage.s3;
}
