//! Lets through exactly one read-only statement; everything that could write or read files is refused by name.

use datafusion::sql::parser::{DFParser, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::Statement;

use crate::error::{ApiError, ApiResult};

pub fn read_only_statement(sql: &str) -> ApiResult<DfStatement> {
    if sql.trim().is_empty() {
        return Err(ApiError::invalid("sql", "is empty"));
    }
    let mut statements = DFParser::parse_sql(sql)
        .map_err(|e| ApiError::Query(format!("SQL does not parse: {e}")))?;
    if statements.len() != 1 {
        return Err(ApiError::Query(format!(
            "send exactly one statement, not {}",
            statements.len()
        )));
    }
    let statement = statements.pop_front().expect("one statement");
    let refused = match &statement {
        DfStatement::Statement(inner) => match inner.as_ref() {
            Statement::Query(_) => None,
            Statement::Explain { statement, .. }
                if matches!(statement.as_ref(), Statement::Query(_)) =>
            {
                None
            }
            Statement::Explain { .. } => Some("EXPLAIN of a non-query".to_owned()),
            other => Some(keyword(other)),
        },
        DfStatement::CreateExternalTable(_) => Some("CREATE EXTERNAL TABLE".to_owned()),
        DfStatement::CopyTo(_) => Some("COPY".to_owned()),
        DfStatement::Explain(_) => None,
        other => Some(keyword_of(&other.to_string())),
    };
    match refused {
        Some(kind) => Err(ApiError::Query(format!(
            "{kind} is not allowed: Lakeport answers read-only queries (SELECT, WITH, EXPLAIN); data changes come from syncs"
        ))),
        None => Ok(statement),
    }
}

fn keyword(statement: &Statement) -> String {
    keyword_of(&statement.to_string())
}

/// The statement's leading words (`INSERT`, `CREATE TABLE`), for the error message.
fn keyword_of(text: &str) -> String {
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_pass_and_writes_are_refused_by_name() {
        assert!(read_only_statement("SELECT count(*) FROM trips").is_ok());
        assert!(read_only_statement("WITH t AS (SELECT 1) SELECT * FROM t").is_ok());
        for (sql, word) in [
            ("INSERT INTO trips VALUES (1)", "INSERT"),
            ("DROP TABLE trips", "DROP"),
            ("COPY trips TO '/tmp/x.parquet'", "COPY"),
            (
                "CREATE EXTERNAL TABLE x STORED AS PARQUET LOCATION '/etc'",
                "CREATE EXTERNAL TABLE",
            ),
            ("CREATE TABLE x AS SELECT 1", "CREATE"),
            ("SET datafusion.execution.batch_size = 1", "SET"),
        ] {
            let err = read_only_statement(sql).unwrap_err().to_string();
            assert!(
                err.contains(word) && err.contains("read-only"),
                "{sql}: {err}"
            );
        }
        assert!(read_only_statement("SELECT 1; SELECT 2").is_err());
    }
}
