def test_me_answers_the_callers_role_and_unit(api, cadre, org):
    response = api.as_user(cadre).get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["role"] == "cadre"
    assert response.json()["unit"]["id"] == org.grid1.id
