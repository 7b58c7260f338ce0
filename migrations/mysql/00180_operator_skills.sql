-- +goose Up
-- What an operator is fit for ("pricing", "enterprise"): auto-assignment
-- rules hand their reviews round-robin to the active operators with the
-- rule's skill. The key is (skill, operator_id): the rule's pick of the next
-- operator after the last one is a range of it; operator_skills_operator
-- lists one account's skills.
CREATE TABLE operator_skills (
  skill VARCHAR(64) NOT NULL,
  operator_id BIGINT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (skill, operator_id),
  KEY operator_skills_operator (operator_id, skill)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE operator_skills;
