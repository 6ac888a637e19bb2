"""The Segment/RudderStack HTTP Tracking API on top of the ingest API (issue 8, docs/segment.md).

Shops that already send e-commerce events with the Segment or RudderStack server SDKs switch to
salesflow by changing one host name. `body` reads the request as those SDKs send it (Basic auth
with the write key, optional gzip, Segment's size limits), `mapping` turns `Order Completed` and
`Order Refunded` into contract sale events, `batch` classifies a whole request, and `responses`
answers in the shape both SDKs parse (`code`, `message`). The route lives in
`ingest_api.routes.segment` and publishes through the ingest API's own `accept_events`.
"""
