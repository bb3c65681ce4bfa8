-- Hazard numbers come from a sequence: nextval takes no lock that a
-- transaction holds until commit, so concurrent reports never wait or collide.
CREATE SEQUENCE hazard_number_seq;
