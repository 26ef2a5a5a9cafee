//! What SQL may run: one statement within the length and depth limits, read-only at the
//! syntax tree (for a message that names the refused form) and again at the logical plan
//! (the authority, whatever the statement wraps).

use std::ops::ControlFlow;

use datafusion::execution::context::SQLOptions;
use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::parser::{DFParserBuilder, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{Expr, Query, SetExpr, Statement, Visit, Visitor};

use crate::error::{ApiError, ApiResult};

/// The shape limits a statement must keep, checked before anything is planned: planning
/// recurses over the tree, and a tree deep enough to exhaust a stack would end the process.
#[derive(Debug, Clone, Copy)]
pub struct ShapeLimits {
    pub max_sql_bytes: usize,
    pub max_depth: usize,
}

const READ_ONLY: &str =
    "Lakeport answers read-only queries (SELECT, WITH, EXPLAIN); data changes come from syncs";

/// Cheap enough to run before a query takes a slot or a thread.
pub fn check_length(sql: &str, limits: &ShapeLimits) -> ApiResult<()> {
    if sql.trim().is_empty() {
        return Err(ApiError::invalid("sql", "is empty"));
    }
    if sql.len() > limits.max_sql_bytes {
        return Err(ApiError::invalid(
            "sql",
            format!(
                "is {} bytes long; statements are limited to {} bytes (query.max_sql_bytes)",
                sql.len(),
                limits.max_sql_bytes
            ),
        ));
    }
    Ok(())
}

/// Parses exactly one statement and refuses anything but a bounded, read-only query.
/// Deep trees are walked recursively, so call this on a thread with a large stack.
pub fn read_only_statement(sql: &str, limits: &ShapeLimits) -> ApiResult<DfStatement> {
    check_length(sql, limits)?;
    let mut statements = DFParserBuilder::new(sql)
        .with_recursion_limit(limits.max_depth)
        .build()
        .and_then(|mut parser| parser.parse_statements())
        .map_err(|e| {
            let text = e.to_string();
            if text.contains("RecursionLimitExceeded") || text.contains("recursion limit") {
                too_deep(limits, None)
            } else {
                ApiError::Query(format!("SQL does not parse: {e}"))
            }
        })?;
    if statements.len() != 1 {
        return Err(ApiError::Query(format!(
            "send exactly one statement, not {}",
            statements.len()
        )));
    }
    let statement = statements.pop_front().expect("one statement");
    // Depth first: naming a refused form prints the statement, which recurses too.
    check_depth(&statement, limits)?;
    if let Some(kind) = refused_form(&statement) {
        return Err(ApiError::Query(format!(
            "{kind} is not allowed: {READ_ONLY}"
        )));
    }
    Ok(statement)
}

/// The plan is what runs, so it is checked as well: no DDL, DML (`COPY` included) or
/// session statements anywhere in it, inside an EXPLAIN or a subquery alike.
pub fn verify_plan(plan: &LogicalPlan) -> ApiResult<()> {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
        .verify_plan(plan)
        .map_err(|e| {
            let reason = e.to_string();
            let reason = reason.trim_start_matches("Error during planning: ");
            ApiError::Query(format!("{reason}: this is not allowed: {READ_ONLY}"))
        })
}

fn too_deep(limits: &ShapeLimits, depth: Option<usize>) -> ApiError {
    let found = depth.map_or_else(|| "more".to_owned(), |d| d.to_string());
    ApiError::Query(format!(
        "the query is too deep: it nests {found} expressions or set operations, more than \
         query.max_expression_depth ({}) allows; split it or use IN lists and temporary results",
        limits.max_depth
    ))
}

/// The name of the form that makes this statement more than a read-only query, if any.
fn refused_form(statement: &DfStatement) -> Option<String> {
    match statement {
        DfStatement::Statement(inner) => refused_sql(inner),
        DfStatement::Explain(explain) => refused_form(&explain.statement),
        DfStatement::CreateExternalTable(_) => Some("CREATE EXTERNAL TABLE".to_owned()),
        DfStatement::CopyTo(_) => Some("COPY".to_owned()),
        DfStatement::Reset(_) => Some("RESET".to_owned()),
    }
}

fn refused_sql(statement: &Statement) -> Option<String> {
    match statement {
        Statement::Query(query) => refused_query(query),
        Statement::Explain { statement, .. } => refused_sql(statement),
        Statement::ExplainTable { .. } => None,
        other => Some(keyword_of(&other.to_string())),
    }
}

/// A query's body can itself be a write (`WITH t AS (…) INSERT …`), at any depth.
fn refused_query(query: &Query) -> Option<String> {
    let mut pending = vec![query.body.as_ref()];
    while let Some(body) = pending.pop() {
        match body {
            SetExpr::Insert(s) | SetExpr::Update(s) | SetExpr::Delete(s) | SetExpr::Merge(s) => {
                return Some(keyword_of(&s.to_string()));
            }
            SetExpr::Query(inner) => pending.push(inner.body.as_ref()),
            SetExpr::SetOperation { left, right, .. } => {
                pending.push(left.as_ref());
                pending.push(right.as_ref());
            }
            SetExpr::Select(_) | SetExpr::Values(_) | SetExpr::Table(_) => {}
        }
    }
    None
}

/// The statement's leading words (`INSERT INTO`, `CREATE TABLE`), for the error message.
fn keyword_of(text: &str) -> String {
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

fn check_depth(statement: &DfStatement, limits: &ShapeLimits) -> ApiResult<()> {
    let sql = match statement {
        DfStatement::Statement(inner) => inner.as_ref(),
        DfStatement::Explain(explain) => return check_depth(&explain.statement, limits),
        _ => return Ok(()),
    };
    let mut depth = Depth {
        current: 0,
        limit: limits.max_depth,
    };
    match sql.visit(&mut depth) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(found) => Err(too_deep(limits, Some(found))),
    }
}

/// Counts nesting while the tree is walked: every expression inside another and every
/// set operation chained onto another adds one level. Parsing builds chains such as
/// `1+1+…` or `SELECT … UNION ALL SELECT …` without recursing, so only a walk sees them.
struct Depth {
    current: usize,
    limit: usize,
}

impl Depth {
    fn enter(&mut self, levels: usize) -> ControlFlow<usize> {
        self.current += levels;
        if self.current > self.limit {
            ControlFlow::Break(self.current)
        } else {
            ControlFlow::Continue(())
        }
    }
}

impl Visitor for Depth {
    type Break = usize;

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<usize> {
        self.enter(1 + set_operation_depth(&query.body))
    }

    fn post_visit_query(&mut self, query: &Query) -> ControlFlow<usize> {
        self.current -= 1 + set_operation_depth(&query.body);
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, _expr: &Expr) -> ControlFlow<usize> {
        self.enter(1)
    }

    fn post_visit_expr(&mut self, _expr: &Expr) -> ControlFlow<usize> {
        self.current -= 1;
        ControlFlow::Continue(())
    }
}

/// How many set operations are chained in this body (without descending into subqueries,
/// which the visitor counts when it reaches them). Walked without recursion.
fn set_operation_depth(body: &SetExpr) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(body, 0usize)];
    while let Some((body, depth)) = pending.pop() {
        deepest = deepest.max(depth);
        if let SetExpr::SetOperation { left, right, .. } = body {
            pending.push((left.as_ref(), depth + 1));
            pending.push((right.as_ref(), depth + 1));
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ShapeLimits = ShapeLimits {
        max_sql_bytes: 100_000,
        max_depth: 200,
    };

    fn check(sql: &str) -> ApiResult<DfStatement> {
        read_only_statement(sql, &LIMITS)
    }

    #[test]
    fn queries_pass_and_writes_are_refused_by_name() {
        assert!(check("SELECT count(*) FROM trips").is_ok());
        assert!(check("WITH t AS (SELECT 1) SELECT * FROM t").is_ok());
        assert!(check("EXPLAIN ANALYZE SELECT 1").is_ok());
        for (sql, word) in [
            ("INSERT INTO trips VALUES (1)", "INSERT"),
            ("DROP TABLE trips", "DROP"),
            ("COPY trips TO '/tmp/x.parquet'", "COPY"),
            (
                "EXPLAIN ANALYZE COPY (SELECT 1) TO '/tmp/x.csv' STORED AS CSV",
                "COPY",
            ),
            ("EXPLAIN VERBOSE INSERT INTO trips VALUES (1)", "INSERT"),
            (
                "WITH t AS (SELECT 1) INSERT INTO trips SELECT * FROM t",
                "INSERT",
            ),
            (
                "CREATE EXTERNAL TABLE x STORED AS PARQUET LOCATION '/etc'",
                "CREATE EXTERNAL TABLE",
            ),
            (
                "EXPLAIN CREATE EXTERNAL TABLE x STORED AS CSV LOCATION '/etc'",
                "CREATE EXTERNAL TABLE",
            ),
            ("CREATE TABLE x AS SELECT 1", "CREATE"),
            ("SET datafusion.execution.batch_size = 1", "SET"),
            ("RESET datafusion.execution.batch_size", "RESET"),
        ] {
            let err = check(sql).unwrap_err().to_string();
            assert!(
                err.contains(word) && err.contains("read-only"),
                "{sql}: {err}"
            );
        }
        assert!(check("SELECT 1; SELECT 2").is_err());
    }

    /// Runs `f` on a thread with the query runtime's stack, as the engine does.
    fn on_query_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(crate::query::runtime::STACK_BYTES)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    fn deep_chains_are_measured_and_refused() {
        let err = on_query_stack(|| {
            let longest = format!("SELECT 1{}", "+1".repeat(49_990));
            check(&longest).map(|_| ()).unwrap_err().to_string()
        });
        assert!(err.contains("too deep") && err.contains("201"), "{err}");
        let union = vec!["SELECT 1"; 2000].join(" UNION ALL ");
        let err = on_query_stack(move || check(&union).map(|_| ()).unwrap_err().to_string());
        assert!(err.contains("max_expression_depth (200)"), "{err}");
        let nested = format!("SELECT {}1{}", "(".repeat(300), ")".repeat(300));
        let err = on_query_stack(move || check(&nested).map(|_| ()).unwrap_err().to_string());
        assert!(err.contains("too deep"), "{err}");
        assert!(check(&format!("SELECT 1{}", "+1".repeat(150))).is_ok());
        assert!(check(&vec!["SELECT 1"; 100].join(" UNION ALL ")).is_ok());
    }

    #[test]
    fn over_long_sql_is_refused_with_the_cap() {
        let err = check(&format!("SELECT '{}'", "x".repeat(100_000)))
            .unwrap_err()
            .to_string();
        assert!(err.contains("100000 bytes"), "{err}");
    }
}
