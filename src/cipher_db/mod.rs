//! The embedded cipher database (`cipher-db/`), parsed once into validated types.
