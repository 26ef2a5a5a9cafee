//! Request extractors whose rejections are the API's own 4xx JSON errors.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `Json<T>` that answers malformed bodies with a message naming the problem and its position.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_error(rejection)),
        }
    }
}

fn json_error(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::BadRequest(
            "send the body as JSON with the header 'Content-Type: application/json'".into(),
        ),
        JsonRejection::JsonSyntaxError(err) => {
            ApiError::BadRequest(format!("the body is not valid JSON: {}", err.body_text()))
        }
        JsonRejection::JsonDataError(err) => ApiError::BadRequest(format!(
            "the body does not have the expected fields: {}",
            err.body_text()
        )),
        JsonRejection::BytesRejection(err) => ApiError::PayloadTooLarge(err.body_text()),
        other => ApiError::BadRequest(other.body_text()),
    }
}

/// `Query<T>` with the same error shape.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(err)) => Err(ApiError::BadRequest(
                format!("bad query parameters: {}", err.body_text()),
            )),
            Err(other) => Err(ApiError::BadRequest(other.body_text())),
        }
    }
}

/// A UUID from the path, or a 400 on `id` saying what kind of id was expected.
pub fn uuid_id(id: &str, what: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(id)
        .map_err(|_| ApiError::invalid("id", format!("'{id}' is not a {what} id (a UUID)")))
}
