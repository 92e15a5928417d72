//! A report row, as serde describes it, turned into named CSV cells.
//!
//! The rows ([`super::RequestRow`], the summary rows of [`super::csv`]) are plain structs with
//! `Serialize`: their field names are the column names and their fields, in order, the values.
//! The header and every record are read from that one definition, so they cannot drift apart.
//!
//! The csv crate's own serializer would do most of this, but it cannot name the columns of a
//! nested struct (the summary's key columns) and writes no header when there is no row. This
//! one also makes the CSV boundary safe by default: every string cell goes through
//! [`csv_cell`], so a column added later cannot let a URL become a spreadsheet formula. Words
//! of frebscope's own (verdicts and confidences, serialized as unit variants, and values marked
//! [`VERBATIM`]) are written as they are.

use std::fmt::{self, Display};

use serde::Serialize;
use serde::ser::{self, Impossible, SerializeStruct};

use crate::sanitize::csv_cell;

/// The newtype-struct name that marks a string frebscope composed itself (the `verdicts`
/// tally, `-:3 startup:1`), written without the formula guard.
pub(crate) const VERBATIM: &str = "frebscope::Verbatim";

/// The columns and values of one row.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Cells {
    /// Column names, in order.
    pub names: Vec<&'static str>,
    /// Cell texts, in the same order.
    pub values: Vec<String>,
}

/// Flattens a row: its fields in order, the fields of a nested struct in its place.
pub(crate) fn cells<T: Serialize>(row: &T) -> Result<Cells, Error> {
    let mut cells = Cells::default();
    row.serialize(RowSerializer { cells: &mut cells })?;
    Ok(cells)
}

/// A row that is not a flat struct of plain values.
#[derive(Debug)]
pub(crate) struct Error(String);

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a report row is not a CSV record: {}", self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

fn unsupported(what: &str) -> Error {
    Error(format!("{what} cannot be a cell"))
}

/// Serializes a struct (or a struct-like variant) into [`Cells`].
struct RowSerializer<'c> {
    cells: &'c mut Cells,
}

impl<'c> SerializeStruct for RowSerializer<'c> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        match value.serialize(CellSerializer { guard: true }) {
            Ok(text) => {
                self.cells.names.push(name);
                self.cells.values.push(text);
                Ok(())
            }
            // A nested struct: its fields are columns in its place.
            Err(CellError::Nested) => value.serialize(RowSerializer {
                cells: &mut *self.cells,
            }),
            Err(CellError::Other(e)) => Err(e),
        }
    }

    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

/// The serializer methods of the containers a row or a cell cannot be: each says so through
/// `$refuse`.
macro_rules! refuse_containers {
    ($ok:ty, $refuse:expr) => {
        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<$ok, Self::Error> {
            $refuse("a newtype variant")
        }

        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Self::Error> {
            $refuse("a sequence")
        }

        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Self::Error> {
            $refuse("a tuple")
        }

        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, Self::Error> {
            $refuse("a tuple struct")
        }

        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Self::Error> {
            $refuse("a tuple variant")
        }

        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Self::Error> {
            $refuse("a map")
        }

        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Self::Error> {
            $refuse("a struct variant")
        }
    };
}

macro_rules! not_a_row {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<(), Error> {
            Err(unsupported(concat!("a row from ", stringify!($method))))
        })*
    };
}

impl<'c> ser::Serializer for RowSerializer<'c> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Error> {
        Ok(self)
    }

    not_a_row!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    refuse_containers!((), |what| Err(unsupported(what)));
}

/// Serializes one plain value into the text of its cell.
struct CellSerializer {
    /// Put the formula guard on strings.
    guard: bool,
}

/// The error of [`CellSerializer`]: a struct to flatten, or a real error.
#[derive(Debug)]
enum CellError {
    Nested,
    Other(Error),
}

impl Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CellError::Nested => f.write_str("a nested struct"),
            CellError::Other(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for CellError {}

impl ser::Error for CellError {
    fn custom<T: Display>(msg: T) -> Self {
        CellError::Other(Error::custom(msg))
    }
}

fn not_a_cell<T>(what: &str) -> Result<T, CellError> {
    Err(CellError::Other(unsupported(what)))
}

macro_rules! display_cell {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method(self, value: $ty) -> Result<String, CellError> {
            Ok(value.to_string())
        })*
    };
}

impl ser::Serializer for CellSerializer {
    type Ok = String;
    type Error = CellError;
    type SerializeSeq = Impossible<String, CellError>;
    type SerializeTuple = Impossible<String, CellError>;
    type SerializeTupleStruct = Impossible<String, CellError>;
    type SerializeTupleVariant = Impossible<String, CellError>;
    type SerializeMap = Impossible<String, CellError>;
    type SerializeStruct = Impossible<String, CellError>;
    type SerializeStructVariant = Impossible<String, CellError>;

    display_cell!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
    );

    fn serialize_str(self, value: &str) -> Result<String, CellError> {
        Ok(if self.guard {
            csv_cell(value).into_owned()
        } else {
            value.to_owned()
        })
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<String, CellError> {
        not_a_cell("bytes")
    }

    fn serialize_none(self) -> Result<String, CellError> {
        Ok(String::new())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<String, CellError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<String, CellError> {
        Ok(String::new())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<String, CellError> {
        Ok(String::new())
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, CellError> {
        Ok(variant.to_owned())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<String, CellError> {
        let guard = self.guard && name != VERBATIM;
        value.serialize(CellSerializer { guard })
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, CellError> {
        Err(CellError::Nested)
    }

    refuse_containers!(String, not_a_cell);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Inner {
        b: u32,
        c: Option<&'static str>,
    }

    #[derive(Serialize)]
    struct Row {
        a: &'static str,
        inner: Inner,
        d: bool,
        e: Verbatim,
    }

    struct Verbatim(&'static str);

    impl Serialize for Verbatim {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_newtype_struct(VERBATIM, self.0)
        }
    }

    #[test]
    fn a_row_flattens_into_named_cells_with_the_formula_guard() {
        let row = Row {
            a: "=1+1",
            inner: Inner { b: 7, c: None },
            d: true,
            e: Verbatim("-:2"),
        };
        let cells = cells(&row).unwrap();
        assert_eq!(cells.names, ["a", "b", "c", "d", "e"]);
        assert_eq!(cells.values, ["'=1+1", "7", "", "true", "-:2"]);
    }

    #[test]
    fn a_list_is_not_a_cell() {
        #[derive(Serialize)]
        struct Bad {
            list: Vec<u32>,
        }
        let err = cells(&Bad { list: vec![1] }).unwrap_err();
        assert!(err.to_string().contains("sequence"), "{err}");
    }
}
