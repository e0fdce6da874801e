package org.libgrowth;

/** A dependency (xgboost, BLAS, protobuf-c) failed. Status {@link Status#EDEP}. */
public class DependencyException extends GrowthException {
    private static final long serialVersionUID = 1L;

    public DependencyException(String message) {
        super(Status.EDEP, message);
    }
}
