//! SQL type names of pipe columns: what `columnOverrides` may say, and what `columns` report.

use arrow::datatypes::DataType;
use lakeport_wire::schema::FieldDataType;

/// The widest VARCHAR a column is reported as (StarRocks' own limit), unless
/// `maxVarcharLength` or an override says less.
pub const MAX_VARCHAR: u32 = 1_048_576;

/// A parsed SQL type: how Lakeport stores it and how it is reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlType {
    /// The canonical spelling (`DECIMAL(10,2)`, `VARCHAR(64)`, `DATE`).
    pub name: String,
    pub field: FieldDataType,
    /// The Arrow type the segments store, where the field type alone does not say it.
    pub storage: Option<DataType>,
}

/// Reads a type string of `columnOverrides` (`INT`, `DECIMAL(10,2)`, `VARCHAR(64)`, `DATE`, ...).
pub fn parse(text: &str) -> Result<SqlType, String> {
    let upper = text.trim().to_ascii_uppercase();
    let (base, args) = match upper.split_once('(') {
        Some((base, rest)) => {
            let inner = rest
                .strip_suffix(')')
                .ok_or_else(|| format!("'{text}' has an unclosed '('"))?;
            let numbers = inner
                .split(',')
                .map(|n| n.trim().parse::<u32>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| format!("'{text}' has arguments that are not whole numbers"))?;
            (base.trim().to_owned(), numbers)
        }
        None => (upper.clone(), Vec::new()),
    };
    let simple = |name: &str, field: FieldDataType, storage: Option<DataType>| {
        if args.is_empty() {
            Ok(SqlType {
                name: name.into(),
                field,
                storage,
            })
        } else {
            Err(format!("'{text}': {name} takes no arguments"))
        }
    };
    match base.as_str() {
        "TINYINT" => simple("TINYINT", FieldDataType::Int, None),
        "SMALLINT" => simple("SMALLINT", FieldDataType::Int, None),
        "INT" | "INTEGER" => simple("INT", FieldDataType::Int, None),
        "BIGINT" => simple("BIGINT", FieldDataType::Long, None),
        "FLOAT" => simple("FLOAT", FieldDataType::Float, None),
        "DOUBLE" => simple("DOUBLE", FieldDataType::Double, None),
        "BOOLEAN" | "BOOL" => simple("BOOLEAN", FieldDataType::Boolean, None),
        "DATE" => simple("DATE", FieldDataType::Timestamp, None),
        "DATETIME" | "TIMESTAMP" => simple("DATETIME", FieldDataType::Timestamp, None),
        "JSON" => simple("JSON", FieldDataType::Json, None),
        "VARBINARY" | "BINARY" => simple("VARBINARY", FieldDataType::Bytes, None),
        "STRING" => simple("STRING", FieldDataType::String, None),
        "VARCHAR" | "CHAR" => match args.as_slice() {
            [] => Ok(SqlType {
                name: format!("VARCHAR({MAX_VARCHAR})"),
                field: FieldDataType::String,
                storage: None,
            }),
            [n] if (1..=MAX_VARCHAR).contains(n) => Ok(SqlType {
                name: format!("{base}({n})"),
                field: FieldDataType::String,
                storage: None,
            }),
            _ => Err(format!(
                "'{text}': {base} takes one length from 1 to {MAX_VARCHAR}"
            )),
        },
        "DECIMAL" | "NUMERIC" => {
            let (precision, scale) = match args.as_slice() {
                [] => (38, 9),
                [p] => (*p, 0),
                [p, s] => (*p, *s),
                _ => return Err(format!("'{text}': DECIMAL takes (precision, scale)")),
            };
            if !(1..=38).contains(&precision) || scale > precision {
                return Err(format!(
                    "'{text}': DECIMAL needs 1 <= precision <= 38 and scale <= precision"
                ));
            }
            Ok(SqlType {
                name: format!("DECIMAL({precision},{scale})"),
                field: FieldDataType::BigDecimal,
                storage: Some(DataType::Decimal128(precision as u8, scale as i8)),
            })
        }
        _ => Err(format!(
            "'{text}' is not a type Lakeport reads; use one of TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, DECIMAL(p,s), VARCHAR(n), CHAR(n), STRING, BOOLEAN, DATE, DATETIME, JSON, VARBINARY"
        )),
    }
}

/// The SQL name of a stored column, with strings capped at `max_varchar` (0: no cap).
pub fn name_of(data_type: &DataType, max_varchar: u32) -> String {
    let varchar = if max_varchar == 0 {
        MAX_VARCHAR
    } else {
        max_varchar.min(MAX_VARCHAR)
    };
    match data_type {
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int8 => "TINYINT".into(),
        DataType::Int16 | DataType::UInt8 => "SMALLINT".into(),
        DataType::Int32 | DataType::UInt16 => "INT".into(),
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => "BIGINT".into(),
        DataType::Float16 | DataType::Float32 => "FLOAT".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => format!("DECIMAL({p},{s})"),
        DataType::Date32 | DataType::Date64 => "DATE".into(),
        DataType::Timestamp(..) => "DATETIME".into(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => format!("VARCHAR({varchar})"),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => "VARBINARY".into(),
        DataType::List(item) | DataType::LargeList(item) => {
            format!("ARRAY<{}>", name_of(item.data_type(), max_varchar))
        }
        _ => "JSON".into(),
    }
}

/// Caps a VARCHAR(n) override at `max_varchar` (0: no cap).
pub fn capped(sql: &SqlType, max_varchar: u32) -> String {
    if max_varchar == 0 || sql.field != FieldDataType::String {
        return sql.name.clone();
    }
    let length = sql
        .name
        .split_once('(')
        .and_then(|(_, n)| n.trim_end_matches(')').parse::<u32>().ok());
    match length {
        Some(n) if n > max_varchar => format!("VARCHAR({max_varchar})"),
        _ => sql.name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_types_parse_to_their_canonical_names() {
        assert_eq!(parse("int").unwrap().field, FieldDataType::Int);
        assert_eq!(parse(" Date ").unwrap().name, "DATE");
        let decimal = parse("DECIMAL(10, 2)").unwrap();
        assert_eq!(decimal.name, "DECIMAL(10,2)");
        assert_eq!(decimal.storage, Some(DataType::Decimal128(10, 2)));
        assert_eq!(parse("varchar(64)").unwrap().name, "VARCHAR(64)");
        for bad in [
            "TEXTISH",
            "DECIMAL(50,2)",
            "DECIMAL(5,9)",
            "VARCHAR(0)",
            "INT(3)",
            "VARCHAR(3",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stored_types_report_sql_names_with_the_varchar_cap() {
        assert_eq!(name_of(&DataType::Int64, 0), "BIGINT");
        assert_eq!(name_of(&DataType::Utf8, 0), "VARCHAR(1048576)");
        assert_eq!(name_of(&DataType::Utf8, 200), "VARCHAR(200)");
        assert_eq!(name_of(&DataType::Decimal128(15, 2), 0), "DECIMAL(15,2)");
        assert_eq!(capped(&parse("VARCHAR(500)").unwrap(), 200), "VARCHAR(200)");
        assert_eq!(capped(&parse("VARCHAR(50)").unwrap(), 200), "VARCHAR(50)");
    }
}
