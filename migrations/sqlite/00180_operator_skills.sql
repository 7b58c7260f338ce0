-- +goose Up
-- What an operator is fit for; see the MySQL migration.
CREATE TABLE operator_skills (
  skill TEXT NOT NULL,
  operator_id INTEGER NOT NULL,
  created_at DATETIME NOT NULL,
  PRIMARY KEY (skill, operator_id)
);
CREATE INDEX operator_skills_operator ON operator_skills (operator_id, skill);

-- +goose Down
DROP TABLE operator_skills;
