-- 0006: the win-probability models, each with the evaluation it was
-- judged by. Every training is kept (an audit of what the model said
-- when); at most one is current, the one cards and routing use.
CREATE TABLE models (
    id              bigserial        PRIMARY KEY,
    trained_at      timestamptz      NOT NULL,
    horizon_seconds bigint           NOT NULL,
    intercept       double precision NOT NULL,
    features        jsonb            NOT NULL, -- [{name, weight, mean, scale}]
    evaluation      jsonb            NOT NULL,
    current         boolean          NOT NULL DEFAULT false
);

CREATE UNIQUE INDEX models_current_idx ON models ((true)) WHERE current;
